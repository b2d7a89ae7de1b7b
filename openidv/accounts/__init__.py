"""Accounts (`act_`): the business's own users, found by reference id."""
