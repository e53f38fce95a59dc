"""The demo shop: customers, products and orders, generated deterministically."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from kitchen.backends.warehouse.base import Column, ForeignKey, TableSpec, Warehouse
from kitchen.data.dictionaries import FIRST_NAMES, LAST_NAMES

SEED = 20261120
CUSTOMERS = 1_000
PRODUCTS = 40
ORDERS = 4_000

STREETS = [
    "Maple",
    "Oak",
    "Pine",
    "Cedar",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Main",
    "Church",
    "High",
    "Mill",
    "River",
    "Spring",
    "Sunset",
    "Forest",
    "Meadow",
    "Ridge",
    "Valley",
]
STREET_KINDS = ("Street", "Avenue", "Road", "Lane", "Drive", "Court")
CITIES = (
    "Springfield",
    "Riverton",
    "Fairview",
    "Madison",
    "Georgetown",
    "Clinton",
    "Franklin",
    "Salem",
)
CATEGORIES = {
    "Coffee": ("Espresso beans", "Filter roast", "Decaf blend", "Cold brew pack", "Single origin"),
    "Tea": ("Green tea", "Earl grey", "Chai mix", "Rooibos", "Mint infusion"),
    "Kitchenware": ("Pour-over kettle", "Burr grinder", "French press", "Milk frother", "Scale"),
    "Bakery": ("Sourdough loaf", "Croissant box", "Bagel dozen", "Rye bread", "Muffin pack"),
}

TABLES = (
    TableSpec(
        "customers",
        (
            Column("customer_id", "INTEGER"),
            Column("full_name", "TEXT"),
            Column("email", "TEXT"),
            Column("phone", "TEXT"),
            Column("birth_date", "DATE"),
            Column("street_address", "TEXT"),
            Column("city", "TEXT"),
            Column("signed_up_at", "TIMESTAMP"),
        ),
        primary_key="customer_id",
    ),
    TableSpec(
        "products",
        (
            Column("product_id", "INTEGER"),
            Column("name", "TEXT"),
            Column("category", "TEXT"),
            Column("unit_price", "DECIMAL(10,2)"),
            Column("unit_cost", "DECIMAL(10,2)"),
        ),
        primary_key="product_id",
    ),
    TableSpec(
        "orders",
        (
            Column("order_id", "INTEGER"),
            Column("customer_id", "INTEGER"),
            Column("product_id", "INTEGER"),
            Column("quantity", "INTEGER"),
            Column("amount", "DECIMAL(12,2)"),
            Column("ordered_at", "TIMESTAMP"),
        ),
        primary_key="order_id",
        foreign_keys=(
            ForeignKey("customer_id", "customers", "customer_id"),
            ForeignKey("product_id", "products", "product_id"),
        ),
    ),
)


def rows(seed: int = SEED) -> dict[str, list[tuple[object, ...]]]:
    """The demo's rows per table: the same seed always gives the same shop."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1)
    customers = [_customer(rng, number, start) for number in range(1, CUSTOMERS + 1)]
    catalogue = [(category, item) for category, items in CATEGORIES.items() for item in items]
    prices = [Decimal(rng.randrange(300, 9000)) / 100 for _ in range(PRODUCTS)]
    products: list[tuple[object, ...]] = []
    for number, price in enumerate(prices, start=1):
        category, item = catalogue[(number - 1) % len(catalogue)]
        cost = (price * Decimal(rng.uniform(0.35, 0.8))).quantize(Decimal("0.01"))
        size = "" if number <= len(catalogue) else f" {250 * (number // len(catalogue))}g"
        products.append((number, item + size, category, price, cost))
    orders: list[tuple[object, ...]] = []
    for number in range(1, ORDERS + 1):
        product = rng.randrange(PRODUCTS)
        quantity = rng.choice((1, 1, 1, 2, 2, 3, 4))
        when = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
        customer = rng.randrange(1, CUSTOMERS + 1)
        orders.append((number, customer, product + 1, quantity, prices[product] * quantity, when))
    return {"customers": customers, "products": products, "orders": orders}


def _customer(rng: random.Random, number: int, start: datetime) -> tuple[object, ...]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    domain = rng.choice(("example.com", "mail.example.org", "shop.example.net"))
    phone = f"+1-555-{rng.randrange(100, 1000):03d}-{rng.randrange(0, 10000):04d}"
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
    street = f"{rng.randrange(1, 2000)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"
    signed_up = start - timedelta(days=rng.randrange(0, 900))
    email = f"{first.lower()}.{last.lower()}{number}@{domain}"
    return (number, f"{first} {last}", email, phone, birth, street, rng.choice(CITIES), signed_up)


def load(warehouse: Warehouse, schema: str) -> int:
    """Create and fill the demo tables in ``schema``; returns the number of rows loaded."""
    data = rows()
    with warehouse.transaction():
        for spec in TABLES:
            warehouse.create_table(schema, spec)
            columns = [column.name for column in spec.columns]
            warehouse.insert_rows(schema, spec.name, columns, data[spec.name])
    return sum(len(table) for table in data.values())
