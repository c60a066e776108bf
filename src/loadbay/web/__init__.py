"""The browser console: static HTML, CSS and JavaScript served at ``/``, talking to the public API."""
