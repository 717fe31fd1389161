"""``multitag serve``: an annotation page with the active-learning loop inside."""
