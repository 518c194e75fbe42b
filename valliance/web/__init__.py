"""The shared page layer every feature's views use: form errors, safe
redirects, and one transaction per request (`@transactional`). Core: imports no feature package."""
