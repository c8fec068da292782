/* password.c: initial passwords from getrandom(2) (see include/hrsync/password.h). */
#include "hrsync/password.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

static const char *const classes[4] = {
    "abcdefghijkmnopqrstuvwxyz",   /* no l: easier to read aloud */
    "ABCDEFGHJKLMNPQRSTUVWXYZ",    /* no I, O */
    "23456789",
    "!#$%&*+-=?@^_",
};

/* A uniform index below n, by rejection sampling of random bytes. */
static int pick(size_t n, size_t *out, hrs_err *err)
{
    unsigned char b;
    size_t limit = 256 - (256 % n);
    do {
        if (getrandom(&b, 1, 0) != 1) return hrs_err_set(err, "cannot read the random source: %s", strerror(errno));
    } while (b >= limit);
    *out = b % n;
    return 0;
}

int hrs_password_generate(char *out, size_t n, size_t len, hrs_err *err)
{
    if (len < 16 || len + 1 > n) return hrs_err_set(err, "internal: password length %zu", len);
    size_t k;
    for (size_t i = 0; i < len; i++) {
        const char *set = classes[i < 4 ? i : 0];
        if (i >= 4) {
            if (pick(4, &k, err) != 0) return -1;
            set = classes[k];
        }
        if (pick(strlen(set), &k, err) != 0) return -1;
        out[i] = set[k];
    }
    /* Shuffle so that the first four are not predictable classes (Fisher–Yates). */
    for (size_t i = len - 1; i > 0; i--) {
        if (pick(i + 1, &k, err) != 0) return -1;
        char t = out[i];
        out[i] = out[k];
        out[k] = t;
    }
    out[len] = '\0';
    return 0;
}
