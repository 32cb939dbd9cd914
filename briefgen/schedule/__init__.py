"""Editions on a schedule: due times, runs, tick and run loops, cron and systemd."""
