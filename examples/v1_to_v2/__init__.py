"""One small domain (pipelines and their runs) in V1 and in V2, side by side, plus the shims."""
