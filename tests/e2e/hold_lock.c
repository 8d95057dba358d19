/* hold_lock.c -- test helper: hold an index's write lock until stdin
 * closes, so a test can check what a second writer is told. */
#include <stdio.h>

#include "depeche/index.h"

int main(int argc, char **argv)
{
    dp_index *idx = NULL;
    dp_error err = DP_ERROR_INIT;
    int c;

    if (argc != 2) {
        fputs("usage: hold_lock INDEX\n", stderr);
        return 2;
    }
    if (dp_index_open(&idx, argv[1], DP_INDEX_WRITE, &err) < 0) {
        fprintf(stderr, "hold_lock: %s\n", err.msg);
        return 2;
    }
    puts("locked");
    fflush(stdout);
    while ((c = getchar()) != EOF)
        ;
    dp_index_close(idx);
    return 0;
}
