/* output.c -- being written. */
