// Settings → Promotions: the target finder's buttons add a SKU to the item code's lists.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-sku]");
    if (!button) return;
    var list = document.getElementById(button.dataset.to);
    if (!list) return;
    var sku = button.dataset.addSku;
    var skus = list.value.split(/[\s,]+/).filter(Boolean);
    if (skus.indexOf(sku) === -1) skus.push(sku);
    list.value = skus.join("\n");
    button.textContent = "Added";
    button.disabled = true;
  });
})();
