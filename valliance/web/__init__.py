"""The shared page layer every feature's views use: the visitor's language, form errors, safe
redirects, and one transaction per request (`@transactional`). Core: imports no feature package."""
