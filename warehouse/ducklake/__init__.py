"""The DuckLake backend: the star schema in a DuckLake whose catalog is a PostgreSQL database and whose
data is Parquet under a shared directory (or an object store), so many writers on many hosts can load
one warehouse while analysts read it."""
