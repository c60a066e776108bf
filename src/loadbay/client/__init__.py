"""The command-line client (``loadbay push``, ``loadbay imports``): HTTP only.

Nothing here imports the server side (SQLAlchemy, polars, FastAPI), so the client needs no database
and works against any Loadbay server it can reach.
"""
