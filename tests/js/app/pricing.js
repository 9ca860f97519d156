const PRICES = { tea: 3, cake: 5 };

function priceOf(sku) {
  const price = PRICES[sku];
  if (price === undefined) {
    throw new Error(`no price for ${sku}`);
  }
  return price;
}

module.exports = { priceOf };
