"""The forum presenter: slides built from the queries, drawn on screen, as a .pptx deck and as a printed report."""
