"""Inquiry templates (`itmpl_`) and their immutable versions (`itmplv_`)."""
