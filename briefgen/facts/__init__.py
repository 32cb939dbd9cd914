"""The input side: the fact schema and loading YAML into validated briefs, with positions."""
