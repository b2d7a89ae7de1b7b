"""The reviewer dashboard at `/dashboard`: server-rendered Jinja2 pages, htmx, no JS build."""
