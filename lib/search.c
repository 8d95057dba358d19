/* search.c -- being written. */
