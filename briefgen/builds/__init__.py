"""The build pipeline for briefs and editions: cache, workers, atomic writes."""
