"""The publish stage: notebook sections, execution, batch runs, the index."""

# The notebooks of notebooks/ that batch runs execute, in the order an
# agency's exports link them. Declared once: the CLI, batch and the index
# read it from here.
NOTEBOOKS: tuple[str, ...] = ("report", "trend", "compare")
