const { priceOf } = require("./pricing");

function lineTotal(line) {
  return priceOf(line.sku) * line.qty;
}

function checkout(cart) {
  let total = 0;
  for (const line of cart.items) {
    total += lineTotal(line);
  }
  return total;
}

module.exports = { checkout };
