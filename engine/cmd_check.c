/* cmd_check.c: `hrsync check`: loads the config and the policy, runs the policy for the persons
 * of the last cycle (recorded in the state file; the source is read when there are none yet),
 * prints every problem as file:line, and the difference the edit makes compared with the policy
 * the last cycle ran with (recorded with it): "this edit would move 14 people to SG-Finance and
 * rename 2". Nothing is sent to the directory and no secret is needed. Exit 0 when clean, 1 when
 * there are problems. */
#include "hrsync/cli.h"
#include "hrsync/decide.h"
#include "hrsync/log.h"
#include "hrsync/plan.h"
#include "hrsync/policy.h"
#include "hrsync/policy_diff.h"
#include "hrsync/snapshot.h"
#include "hrsync/source.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct check_ctx {
    const hrs_cli_opts *o;
    hrs_config *cfg;
    hrs_tz *tz;
    hrs_tz_clock clock;
    hrs_policy *policy;            /* as the file is now */
    char version[80];
    json_t *problems;              /* [{where, message, persons: [id…]}] in the order found */
    json_t *people;                /* the persons checked */
    const char *from;              /* "last cycle" or "source" */
    json_t *recorded;              /* the policy of the last cycle {path, version, text, today, taken_at} or NULL */
    json_t *diff;                  /* or NULL */
    char old_error[HRS_ERR_MAX];   /* why the recorded policy could not be run, or "" */
} check_ctx;

/* The first "<file>.lua:<line>" in the first line of msg, into out ("" when none). */
static void where_of(const char *msg, char *out, size_t n)
{
    out[0] = '\0';
    const char *end = strchr(msg, '\n');
    if (!end) end = msg + strlen(msg);
    for (const char *p = msg; p + 5 < end; p++) {
        if (strncmp(p, ".lua:", 5) != 0 || !isdigit((unsigned char)p[5])) continue;
        const char *s = p;
        while (s > msg && !isspace((unsigned char)s[-1]) && s[-1] != '(' && s[-1] != '\'') s--;
        const char *e = p + 5;
        while (e < end && isdigit((unsigned char)*e)) e++;
        snprintf(out, n, "%.*s", (int)(e - s), s);
        return;
    }
}

/* Adds a problem; the same message (without its "person <id>: " prefix) for several persons is
 * one problem listing them. */
static void add_problem(check_ctx *c, const char *msg, const char *person)
{
    char first[HRS_ERR_MAX], where[300];
    const char *nl = strchr(msg, '\n');
    snprintf(first, sizeof first, "%.*s", nl ? (int)(nl - msg) : (int)strlen(msg), msg);
    const char *text = first;
    char prefix[200];
    if (person) {
        snprintf(prefix, sizeof prefix, "person %s: ", person);
        if (strncmp(text, prefix, strlen(prefix)) == 0) text += strlen(prefix);
    }
    where_of(text, where, sizeof where);
    /* "hook 'x' failed: policy.lua:12: boom" reads "policy.lua:12: hook 'x' failed: boom" */
    char body[HRS_ERR_MAX];
    const char *at = where[0] ? strstr(text, where) : NULL;
    if (at && at[strlen(where)] == ':' && at[strlen(where) + 1] == ' ')
        snprintf(body, sizeof body, "%.*s%s", (int)(at - text), text, at + strlen(where) + 2);
    else
        snprintf(body, sizeof body, "%s", text);
    size_t i;
    json_t *p;
    json_array_foreach(c->problems, i, p) {
        if (strcmp(json_string_value(json_object_get(p, "message")), body) == 0 &&
            strcmp(json_string_value(json_object_get(p, "where")), where) == 0) {
            if (person) json_array_append_new(json_object_get(p, "persons"), json_string(person));
            return;
        }
    }
    json_array_append_new(c->problems, json_pack("{s:s, s:s, s:[], s:s}", "where", where, "message", body, "persons",
                                                 "detail", msg));
    if (person) json_array_append_new(json_object_get(json_array_get(c->problems, json_array_size(c->problems) - 1), "persons"),
                                      json_string(person));
}

static hrs_policy *load_policy(check_ctx *c, const char *text, size_t len, hrs_err *err)
{
    hrs_policy_opts po = { c->cfg->policy_path, c->cfg->lib_dir, c->cfg->today, 0, 0, text, len };
    return hrs_policy_load(&po, err);
}

/* The lifecycle settings, checked as a plan checks them (an empty plan). */
static void check_lifecycle(check_ctx *c)
{
    json_t *none = json_array(), *empty = json_object(), *plan = NULL;
    hrs_plan_input in = { c->cfg->today, none, empty, none, empty, empty, hrs_policy_lifecycle(c->policy), none, NULL, NULL, 0 };
    hrs_err err;
    hrs_err_clear(&err);
    const char *slash = strrchr(c->cfg->policy_path, '/');
    char msg[HRS_ERR_MAX + 300];
    if (hrs_plan_build(&in, &plan, &err) != 0) {
        snprintf(msg, sizeof msg, "%s: %s", slash ? slash + 1 : c->cfg->policy_path, err.msg);
        add_problem(c, msg, NULL);
    }
    size_t i;
    json_t *note;
    json_array_foreach(json_object_get(plan, "notes"), i, note) {
        snprintf(msg, sizeof msg, "%s: %s", slash ? slash + 1 : c->cfg->policy_path, json_string_value(note));
        add_problem(c, msg, NULL);
    }
    json_decref(plan);
    json_decref(none);
    json_decref(empty);
}

/* The persons of the last cycle (and the policy it ran with) from the state file; the source
 * when there are none. */
static int read_people(check_ctx *c, hrs_err *err)
{
    if (access(c->cfg->state_path, F_OK) == 0) {
        hrs_store *s = hrs_store_open(c->cfg->state_path, err);
        if (!s) return -1;
        int rc = hrs_snapshot_people(s, &c->people, err) || hrs_snapshot_policy_get(s, &c->recorded, err) ? -1 : 0;
        hrs_store_close(s);
        if (rc != 0) return -1;
        c->from = "last cycle";
        if (json_array_size(c->people)) return 0;
        json_decref(c->people);
        c->people = NULL;
    }
    hrs_source_result src;
    memset(&src, 0, sizeof src);
    if (hrs_source_read(c->cfg->source, &src, err) != 0) return -1;
    c->people = json_incref(src.people);
    c->from = "source";
    hrs_source_result_clear(&src);
    return 0;
}

static json_t *decide(check_ctx *c, hrs_policy *p)
{
    hrs_decide_ctx dc = { p, c->tz, &c->clock, c->cfg->today, NULL };
    return hrs_decide_people(&dc, c->people, NULL, NULL, NULL);
}

/* Runs both policies and keeps the problems of the new one and the difference. */
static void run(check_ctx *c)
{
    json_t *now = decide(c, c->policy);
    const char *id;
    json_t *d;
    json_object_foreach(now, id, d) {
        const char *e = json_string_value(json_object_get(d, "error"));
        if (e) add_problem(c, e, id);
    }
    if (c->recorded) {
        const json_t *text = json_object_get(c->recorded, "text");
        hrs_err err;
        hrs_err_clear(&err);
        hrs_policy *old = load_policy(c, json_string_value(text), json_string_length(text), &err);
        if (!old) {
            snprintf(c->old_error, sizeof c->old_error, "%s", err.msg);
        } else {
            json_t *before = decide(c, old);
            c->diff = hrs_policy_diff(c->people, before, now);
            json_decref(before);
            hrs_policy_free(old);
        }
    }
    json_decref(now);
}

static void print_text(const check_ctx *c)
{
    size_t n = json_array_size(c->people), i;
    printf("Checked %s (%s) against the %zu %s of the %s, as of %s.\n", c->cfg->policy_path, c->version, n,
           n == 1 ? "person" : "people", c->from ? c->from : "source", c->cfg->today);
    json_t *p;
    json_array_foreach(c->problems, i, p) {
        const char *where = json_string_value(json_object_get(p, "where"));
        printf("%s%s%s", where, *where ? ": " : "", json_string_value(json_object_get(p, "message")));
        const json_t *ids = json_object_get(p, "persons");
        size_t k = json_array_size(ids), j;
        json_t *v;
        json_array_foreach(ids, j, v) {
            if (j == 10) { printf(" and %zu more", k - 10); break; }
            printf("%s%s", j ? ", " : k == 1 ? " (person " : " (persons ", json_string_value(v));
        }
        printf("%s\n", k ? ")" : "");
    }
    if (json_array_size(c->problems))
        printf("%zu problem%s.\n", json_array_size(c->problems), json_array_size(c->problems) == 1 ? "" : "s");
    else
        printf("No problems.\n");
    if (c->diff) {
        char sentence[1024];
        hrs_policy_diff_sentence(c->diff, sentence, sizeof sentence);
        printf("\nCompared with the policy of the last cycle (%s, recorded %s):\n%c%s.\n",
               json_string_value(json_object_get(c->recorded, "version")),
               json_string_value(json_object_get(c->recorded, "taken_at")), toupper((unsigned char)sentence[0]), sentence + 1);
        hrs_policy_diff_print(c->diff, stdout);
    } else if (c->old_error[0]) {
        printf("\nThe policy of the last cycle cannot be run any more, so no difference is shown: %s\n", c->old_error);
    } else if (c->policy) {
        printf("\nNo policy is recorded for a last cycle yet (hrsync plan records one), so no difference is shown.\n");
    }
}

static void print_json(const check_ctx *c)
{
    char sentence[1024] = "";
    if (c->diff) hrs_policy_diff_sentence(c->diff, sentence, sizeof sentence);
    json_t *doc = json_pack("{s:{s:s, s:s}, s:s, s:s?, s:I, s:O, s:O?, s:s?, s:s?, s:s?}", "policy", "path",
                            c->cfg->policy_path, "version", c->version, "today", c->cfg->today, "people_from", c->from,
                            "people", (json_int_t)json_array_size(c->people), "problems", c->problems,
                            "difference", c->diff, "summary", c->diff ? sentence : NULL,
                            "compared_with", c->recorded ? json_string_value(json_object_get(c->recorded, "version")) : NULL,
                            "compare_error", c->old_error[0] ? c->old_error : NULL);
    hrs_cli_print_json(doc);
    json_decref(doc);
}

int hrs_cmd_check(const hrs_cli_opts *o)
{
    check_ctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    c.problems = json_array();
    hrs_err err;
    hrs_err_clear(&err);
    json_t *ov = hrs_cli_overrides(o);
    int code = HRS_EXIT_ERROR;
    c.cfg = hrs_config_load_offline(o->config, ov, &err);
    json_decref(ov);
    if (!c.cfg || !(c.tz = hrs_decide_clock_open(c.cfg, &c.clock, &err))) goto fail;
    char *text = NULL;
    size_t len = 0;
    if (hrs_policy_file_read(c.cfg->policy_path, &text, &len, c.version, &err) != 0) goto fail;
    c.policy = load_policy(&c, text, len, &err);
    free(text);
    if (!c.policy) {
        add_problem(&c, err.msg, NULL);   /* a load error: nothing else can be checked */
        hrs_err_clear(&err);
    } else {
        check_lifecycle(&c);
        if (read_people(&c, &err) != 0) goto fail;
        run(&c);
    }
    if (o->json) print_json(&c);
    else print_text(&c);
    code = json_array_size(c.problems) ? HRS_EXIT_ERROR : HRS_EXIT_OK;
    goto out;
fail:
    hrs_cli_fail(&err);
out:
    json_decref(c.problems);
    json_decref(c.people);
    json_decref(c.recorded);
    json_decref(c.diff);
    hrs_policy_free(c.policy);
    hrs_tz_close(c.tz);
    hrs_config_free(c.cfg);
    return code;
}
