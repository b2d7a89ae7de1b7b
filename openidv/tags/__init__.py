"""Tag names shared by inquiries, accounts and reports (an environment knows at most 1000 active tags)."""
