/* password.h: initial passwords for new accounts, from the operating system's random source.
 * A password meets Entra's cloud policy (8–256 ASCII characters, 3 of 4 classes); it is sent in
 * the create request and never logged, stored or printed. */
#ifndef HRSYNC_PASSWORD_H
#define HRSYNC_PASSWORD_H

#include <stddef.h>
#include "hrsync/err.h"

/* Writes a password of len characters (16 <= len < n) into out, with at least one lower-case
 * letter, upper-case letter, digit and symbol. Returns 0, or -1 if the random source fails. */
int hrs_password_generate(char *out, size_t n, size_t len, hrs_err *err);

#endif
