"""Server-rendered pages by role. ``coordinator`` is the coordinator console (issue 6).

Views here are thin: they fetch through ``coordinated_by``/``visible_to`` (hidden → 404),
validate with Django forms, call one service or read-out, and render.
"""
