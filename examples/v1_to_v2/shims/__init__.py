"""The migration shims in use, between the V1 and the V2 code bases."""
