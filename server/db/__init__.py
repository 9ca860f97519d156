"""SQL, one module per table family; every query parameterised."""
