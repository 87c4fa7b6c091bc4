/*
 * csvvec.h - public vectors in CSV (the BIP324 files: a header row, then one
 * row per case, no quoting), read in place from the shared folder.
 */
#ifndef PS_CSVVEC_H
#define PS_CSVVEC_H

#include <stddef.h>

/* The folder rules of the public vectors, for programs that need them:
 * returns the folder; or prints why and returns NULL when the folder is
 * absent and PS_SHARED_VECTORS was not set (the caller skips: TU_SKIP); or,
 * when PS_SHARED_VECTORS names a folder that does not exist, prints that
 * and exits 1 (a named folder that is missing is a failure, not a skip). */
const char *tu_vectors_dir(const char *program);

struct tu_csv {
	char *text;   /* the file, its separators turned into NULs */
	char **names; /* ncols column names */
	char **cells; /* nrows * ncols, row-major, the header row excluded */
	size_t ncols, nrows;
	char path[1024];
};

/* Load folder/rel. Fails the running cmocka test when the file cannot be
 * read, is empty, or has a row whose cell count differs from the header's. */
void tu_csv_load(struct tu_csv *csv, const char *folder, const char *rel);

/* The cell of row (0-based, header excluded) in column name; fails the
 * test when the file has no such column. Never NULL; "" for an empty cell. */
const char *tu_csv_get(const struct tu_csv *csv, size_t row, const char *name);

void tu_csv_free(struct tu_csv *csv);

#endif
