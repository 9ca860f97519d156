"""The part of Sentry's web API that sentry-cli and the bundler plugins call.

Mounted beside Crashdesk's own API and told apart by path shape: Sentry names projects
``/api/0/projects/{org_slug}/{project_slug}/...`` while Crashdesk uses
``/api/0/projects/{numeric id}/...``, and Crashdesk has no ``/api/0/organizations/``.
A prefix would have been cleaner, but sentry-cli 3.8 refuses a ``SENTRY_URL`` with a
path ("bad sentry url: not on URL root"), so switching is a change of URL and token
only. Organization slugs made only of digits are Crashdesk's (Sentry forbids them too).
These routes follow Sentry's conventions (bare lists, ``{"detail": ...}`` errors,
unknown query parameters ignored), not the ``/api/0`` conventions of Crashdesk's own API.
"""

from __future__ import annotations

import re

PATH = re.compile(r"^/api/0/(?:$|organizations/[^/]+/|projects/(?![0-9]+/)[^/]+/[^/]+/)")
