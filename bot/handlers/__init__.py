"""One router per concern: start, export, jobs, admin."""
