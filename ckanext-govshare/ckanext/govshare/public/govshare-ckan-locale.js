/* CKAN 2.12 asks its i18n API for the page's language with only the first hyphen of the
   <html lang> turned back into an underscore: zh-Hans-CN becomes zh_Hans-CN, which the API
   refuses (400), and CKAN then never starts its JavaScript modules (the repeating
   information items, the resource upload field, ...). Deferred: runs after CKAN's scripts
   and before it initialises on DOM ready. */
(function () {
  "use strict";
  if (!window.ckan || !window.ckan.Client) { return; }
  var getLocaleData = window.ckan.Client.prototype.getLocaleData;
  window.ckan.Client.prototype.getLocaleData = function (locale, success, error) {
    return getLocaleData.call(this, (locale || "").replace(/-/g, "_"), success, error);
  };
})();
