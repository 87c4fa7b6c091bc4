#include "csvvec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

const char *tu_vectors_dir(const char *program)
{
	const char *env = getenv("PS_SHARED_VECTORS");
	const char *dir = tu_shared_vectors();

	if (dir)
		return dir;
	if (env && *env) {
		printf("%s: FAIL: PS_SHARED_VECTORS=%s is not a folder\n", program, env);
		exit(1);
	}
	printf("%s: skipped: the shared vectors folder is absent (set PS_SHARED_VECTORS, "
	       "default ../shared/vectors beside the checkout)\n",
	       program);
	return NULL;
}

void tu_csv_load(struct tu_csv *csv, const char *folder, const char *rel)
{
	size_t len, cap = 0, n = 0, cols = 0;
	char *p, *line;

	memset(csv, 0, sizeof(*csv));
	snprintf(csv->path, sizeof(csv->path), "%s/%s", folder, rel);
	csv->text = (char *)tu_read_file(csv->path, &len);
	if (!csv->text)
		fail_msg("cannot read %s", csv->path);
	if (len == 0)
		fail_msg("%s is empty", csv->path);
	/* one pass: split lines, then cells; the first line names the columns */
	for (p = csv->text; *p;) {
		size_t k = 0;

		line = p;
		p += strcspn(p, "\n");
		if (*p)
			*p++ = 0;
		if (line[0] && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = 0;
		if (!line[0])
			continue;
		for (char *q = line;; q++) {
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				csv->cells = realloc(csv->cells, cap * sizeof(char *));
				assert_non_null(csv->cells);
			}
			csv->cells[n++] = q;
			k++;
			q += strcspn(q, ",");
			if (!*q)
				break;
			*q = 0;
		}
		if (!cols)
			cols = k;
		else if (k != cols)
			fail_msg("%s: a row of %zu cells under a header of %zu", csv->path, k,
				 cols);
	}
	if (!cols)
		fail_msg("%s has no header row", csv->path);
	csv->ncols = cols;
	csv->nrows = n / cols - 1;
	csv->names = csv->cells;
	csv->cells += cols;
}

const char *tu_csv_get(const struct tu_csv *csv, size_t row, const char *name)
{
	assert_true(row < csv->nrows);
	for (size_t i = 0; i < csv->ncols; i++)
		if (strcmp(csv->names[i], name) == 0)
			return csv->cells[row * csv->ncols + i];
	fail_msg("%s has no column %s", csv->path, name);
	return "";
}

void tu_csv_free(struct tu_csv *csv)
{
	free(csv->names);
	free(csv->text);
	memset(csv, 0, sizeof(*csv));
}
