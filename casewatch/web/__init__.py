"""The review page (``casewatch serve``): ``app`` builds the Starlette app, ``pages`` the HTML, ``api`` the
JSON, ``feeds`` the Atom feeds, ``auth`` the logins and CSRF protection, ``views`` pure helpers."""
