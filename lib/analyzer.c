/* analyzer.c -- being written. */
