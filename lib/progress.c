/* progress.c -- being written. */
