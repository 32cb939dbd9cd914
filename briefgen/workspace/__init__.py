"""The analyst's workspace: scaffold a new one, preview and serve it, check the machine."""
