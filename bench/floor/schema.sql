-- The floor's own copy of the items table: the same columns, types and constraints
-- as the generated FastAPI service's first migration (0001_create_items.py).
CREATE TABLE items (
    id BIGSERIAL NOT NULL,
    name VARCHAR(200) NOT NULL,
    description TEXT,
    quantity INTEGER NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_items PRIMARY KEY (id),
    CONSTRAINT uq_items_name UNIQUE (name),
    CONSTRAINT ck_items_quantity_non_negative CHECK (quantity >= 0)
);
