/* passage.c -- being written. */
