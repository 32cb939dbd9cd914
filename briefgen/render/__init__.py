"""Validated facts to documents: Jinja contexts, Markdown, charts, WeasyPrint, binding."""
