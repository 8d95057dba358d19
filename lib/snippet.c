/* snippet.c -- being written. */
