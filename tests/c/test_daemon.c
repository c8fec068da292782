/* test_daemon.c: the daemon's parts that need no process: the schedule from the config (and its
 * errors with file:line), the jittered wait, the /metrics text, and the progress line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/config.h"
#include "hrsync/daemon.h"
#include "hrsync/progress.h"

static char dir[] = "/tmp/hrsync-test-daemon-XXXXXX";

static hrs_config *config_with(const char *extra, hrs_err *err)
{
    char path[400];
    snprintf(path, sizeof path, "%s/config.lua", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "return {\n  source = { type = 'csv', path = 'people.csv' },\n"
               "  directory = { tenant = 'example.com', client_id = 'x', client_secret_env = 'HRSYNC_TEST_DAEMON_SECRET' },\n"
               "  policy = 'policy.lua',\n%s\n}\n", extra);
    fclose(f);
    setenv("HRSYNC_TEST_DAEMON_SECRET", "not-a-real-secret", 1);
    return hrs_config_load(path, NULL, err);
}

static void schedule_defaults_and_settings(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_schedule s;
    hrs_config *c = config_with("", &err);
    assert_non_null(c);
    assert_int_equal(hrs_daemon_schedule(c, &s, &err), 0);
    assert_true(s.interval_s == 60 && s.jitter == 0.1 && s.full_every == 10);
    assert_string_equal(s.listen, "127.0.0.1:9464");
    hrs_config_free(c);

    c = config_with("  schedule = { interval = 5, jitter = 0, full_every = 3 },\n  http = false,", &err);
    assert_int_equal(hrs_daemon_schedule(c, &s, &err), 0);
    assert_true(s.interval_s == 5 && s.jitter == 0 && s.full_every == 3);
    assert_string_equal(s.listen, "");
    hrs_config_free(c);

    c = config_with("  http = { listen = '[::1]:0' },", &err);
    assert_int_equal(hrs_daemon_schedule(c, &s, &err), 0);
    assert_string_equal(s.listen, "[::1]:0");
    hrs_config_free(c);
}

static void schedule_errors_name_the_line(void **state)
{
    (void)state;
    static const struct { const char *extra, *want; } cases[] = {
        { "\n  schedule = { interval = -1 },", "config.lua:6: schedule.interval must be a number of seconds above 0" },
        { "\n\n  schedule = { jitter = 0.9 },", "config.lua:7: schedule.jitter must be a fraction of the interval from 0 to 0.5" },
        { "  schedule = { full_every = 1.5 },", "config.lua:5: schedule.full_every must be a whole number of cycles" },
        { "  schedule = { intervall = 5 },", "config.lua:5: unknown setting 'schedule.intervall' (known: interval, jitter, full_every)" },
        { "  http = { listen = 9464 },", "config.lua:5: http takes one setting, listen = \"ADDRESS:PORT\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hrs_err err;
        hrs_err_clear(&err);
        hrs_schedule s;
        hrs_config *c = config_with(cases[i].extra, &err);
        assert_non_null(c);
        assert_int_equal(hrs_daemon_schedule(c, &s, &err), -1);
        if (!strstr(err.msg, cases[i].want)) fail_msg("got '%s', want '%s'", err.msg, cases[i].want);
        hrs_config_free(c);
    }
}

static void waits_stay_within_the_jitter(void **state)
{
    (void)state;
    hrs_schedule s = { 60, 0.1, 10, "" };
    unsigned seed = 7;
    double lo = 1e9, hi = 0;
    for (int i = 0; i < 2000; i++) {
        double w = hrs_daemon_next_wait(&s, &seed);
        if (w < lo) lo = w;
        if (w > hi) hi = w;
    }
    assert_true(lo >= 54 && hi <= 66);
    assert_true(lo < 55 && hi > 65); /* spread over the whole band, not a constant */
    s.jitter = 0;
    assert_true(hrs_daemon_next_wait(&s, &seed) == 60);
}

static void metrics_text_counts_cycles_and_operations(void **state)
{
    (void)state;
    hrs_daemon_metrics m;
    memset(&m, 0, sizeof m);
    json_t *plan = json_pack("{s:{s:i, s:i}}", "summary", "people", 120, "quarantined", 3);
    json_t *applied = json_pack("{s:i, s:i, s:i, s:i, s:i, s:[{s:s}, {s:s}]}", "created", 4, "updated", 2, "linked", 1,
                                "group_added", 5, "group_removed", 0, "errors", "action", "create", "action",
                                "add to group SG-Finance");
    hrs_daemon_metrics_add(&m, HRS_CYCLE_FAILED_OPS, plan, applied, 17, 2, 0.7, 1796000000.5);
    hrs_daemon_metrics_add(&m, HRS_CYCLE_ERROR, NULL, NULL, 1, 0, 42, 1796000060);
    char *t = hrs_daemon_metrics_text(&m);
    assert_non_null(t);
    static const char *const want[] = {
        "# TYPE hrsync_cycles_total counter\n",
        "hrsync_cycles_total{result=\"failed-operations\"} 1\n",
        "hrsync_cycles_total{result=\"error\"} 1\n",
        "hrsync_cycles_total{result=\"ok\"} 0\n",
        "hrsync_operations_total{kind=\"create\",result=\"ok\"} 4\n",
        "hrsync_operations_total{kind=\"create\",result=\"failed\"} 1\n",
        "hrsync_operations_total{kind=\"group_add\",result=\"failed\"} 1\n",
        "hrsync_operations_total{kind=\"link\",result=\"ok\"} 1\n",
        "hrsync_graph_requests_total 18\n",
        "hrsync_graph_throttled_total 2\n",
        "hrsync_source_records 120\n",
        "hrsync_quarantined 3\n",
        "hrsync_cycle_duration_seconds_bucket{le=\"1\"} 1\n",
        "hrsync_cycle_duration_seconds_bucket{le=\"30\"} 1\n",
        "hrsync_cycle_duration_seconds_bucket{le=\"60\"} 2\n",
        "hrsync_cycle_duration_seconds_bucket{le=\"+Inf\"} 2\n",
        "hrsync_cycle_duration_seconds_count 2\n",
        "hrsync_last_cycle_timestamp_seconds 1796000060.000\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(t, want[i])) fail_msg("missing %s in\n%s", want[i], t);
    assert_true(m.last_cycle_failed);
    free(t);
    json_decref(plan);
    json_decref(applied);
}

static void progress_line_estimates_under_the_write_limit(void **state)
{
    (void)state;
    char line[256];
    /* 100,000 operations, 2,000 done in 10 s (a burst at 200/s): the rest goes at 20/s. */
    hrs_progress_format(line, sizeof line, 100000, 2000, 100000, 10);
    assert_string_equal(line, "100000 people read · 2000/100000 operations applied (2%) · 200.0/s · about 1h21m left");
    /* A small plan fits in one write window: the observed rate holds. */
    hrs_progress_format(line, sizeof line, 500, 100, 600, 5);
    assert_string_equal(line, "500 people read · 100/600 operations applied (16%) · 20.0/s · about 25s left");
    hrs_progress_format(line, sizeof line, 500, 600, 600, 30);
    assert_string_equal(line, "500 people read · 600/600 operations applied (100%) · 20.0/s · about 0s left");
    /* Not a terminal: no progress object, and the callback accepts that. */
    FILE *f = tmpfile();
    assert_null(hrs_progress_new(f, 10));
    hrs_progress_update(NULL, 1, 2);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof path, "%s/config.lua", dir);
    unlink(path);
    rmdir(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schedule_defaults_and_settings),
        cmocka_unit_test(schedule_errors_name_the_line),
        cmocka_unit_test(waits_stay_within_the_jitter),
        cmocka_unit_test(metrics_text_counts_cycles_and_operations),
        cmocka_unit_test(progress_line_estimates_under_the_write_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
