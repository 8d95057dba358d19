/* corpus.c -- being written. */
