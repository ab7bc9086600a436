"""Loading: turn files, standard input and rendered sources into documents
that remember where every field came from. Nothing here knows about checks."""
