"""Search: the engine behind the dashboard's search and Persona's `POST /inquiries/search` and `/accounts/search`
(a small tree of and/or/not clauses over predicates), and the partial-name search it uses: the `name_tokens`
rows of inquiries and accounts (openidv.kit.name_tokens says what they hold), found without decrypting."""
