# Arabic UI strings. Every key here must exist in en.ftl too (a unit test checks).
shop-name = سوق
shop-tagline = تمور وقهوة وحِرف وأكثر، نوصلها في أنحاء الخليج
skip-to-content = انتقل إلى المحتوى
nav-home = الرئيسية
nav-categories = الفئات
nav-cart = السلة
nav-admin = الإدارة
search-label = ابحث في المنتجات
search-placeholder = ابحث في المنتجات…
search-button = بحث
search-title = بحث: { $query }
search-empty-title = بحث
search-prompt = اكتب ما تبحث عنه.
home-title = سوق: تمور وقهوة وحِرف وأكثر
home-description = تسوّق التمور والقهوة والعطور والحِرف والكتب بالعربية أو الإنجليزية، والأسعار بالريال.
home-categories = تسوّق حسب الفئة
home-featured = مختارات
home-new = وصل حديثًا
category-description = { $name }: تصفّح { $count } من المنتجات في سوق.
results-count = { $count ->
    [zero] لا منتجات
    [one] منتج واحد
    [two] منتجان
    [few] { $count } منتجات
    [many] { $count } منتجًا
   *[other] { $count } منتج
}
filter-title = تصفية
filter-min-price = أدنى سعر
filter-max-price = أعلى سعر
filter-in-stock = المتوفر فقط
filter-apply = تطبيق
filter-clear = مسح التصفية
sort-label = الترتيب حسب
sort-newest = الأحدث
sort-price-asc = السعر: من الأقل إلى الأعلى
sort-price-desc = السعر: من الأعلى إلى الأقل
sort-name = الاسم
sort-relevance = الأكثر صلة
page-previous = السابق
page-next = التالي
page-of = الصفحة { $page } من { $pages }
no-products = لا توجد منتجات مطابقة. جرّب تصفية أقل.
in-stock = متوفر
out-of-stock = غير متوفر
add-to-cart = أضف إلى السلة
added-to-cart = أُضيف إلى سلتك
product-images = صور المنتج
image-of = الصورة { $index } من { $count }
cart-title = سلتك
cart-empty = سلتك فارغة.
cart-continue = تابع التسوق
cart-quantity = الكمية
cart-increase = واحد آخر
cart-decrease = واحد أقل
cart-remove = إزالة
cart-subtotal = المجموع الفرعي
cart-items = { $count ->
    [zero] لا قطع
    [one] قطعة واحدة
    [two] قطعتان
    [few] { $count } قطع
    [many] { $count } قطعة
   *[other] { $count } قطعة
}
cart-view = عرض السلة
cart-needs-js = تحتاج السلة إلى تفعيل جافاسكربت.
lang-switch = اللغة
error-title = حدث خطأ ما
error-unavailable = لا يستطيع المتجر الوصول إلى الكتالوج الآن. يرجى المحاولة بعد قليل.
error-retry = حاول مجددًا
not-found-title = الصفحة غير موجودة
not-found-text = لم نجد هذه الصفحة.
back-home = العودة إلى الصفحة الرئيسية
admin-title = لوحة التحكم
admin-sign-in = تسجيل الدخول
admin-sign-out = تسجيل الخروج
admin-email = البريد الإلكتروني
admin-password = كلمة المرور
admin-signed-in-as = مسجّل باسم { $email }
admin-products = المنتجات
admin-categories = الفئات
admin-users = المستخدمون
admin-new-product = منتج جديد
admin-edit-product = تعديل المنتج
admin-status = الحالة
admin-status-any = كل الحالات
admin-status-draft = مسودة
admin-status-published = منشور
admin-publish = نشر
admin-unpublish = إلغاء النشر
admin-delete = حذف
admin-save = حفظ
admin-saved = حُفظ
admin-name-en = الاسم (بالإنجليزية)
admin-name-ar = الاسم (بالعربية)
admin-description-en = الوصف (بالإنجليزية)
admin-description-ar = الوصف (بالعربية)
admin-slug = المعرّف في الرابط
admin-price = السعر
admin-compare-at = السعر قبل الخصم
admin-currency = العملة
admin-stock = المخزون
admin-category = الفئة
admin-no-category = بلا فئة
admin-featured = مميّز في الصفحة الرئيسية
admin-images = الصور
admin-upload = رفع الصور
admin-choose-files = اختر صورًا (JPEG أو PNG أو WebP)
admin-move-earlier = انقل إلى الأمام
admin-move-later = انقل إلى الخلف
admin-remove-image = أزل الصورة
admin-sort-order = ترتيب العرض
admin-add-category = أضف فئة
admin-role = الدور
admin-role-admin = مدير
admin-role-customer = عميل
admin-disabled = معطّل
admin-enabled = نشط
admin-disable = تعطيل
admin-enable = تفعيل
admin-make-admin = اجعله مديرًا
admin-make-customer = اجعله عميلًا
admin-actions = إجراءات
admin-not-allowed = لوحة التحكم للمديرين فقط.
admin-form-errors = يرجى تصحيح الحقول المشار إليها أدناه.
admin-name = الاسم
admin-products-count = المنتجات
admin-orders = الطلبات
admin-order = الطلب
admin-all-orders = كل الطلبات
admin-placed = تاريخ الطلب
admin-customer-email = بريد العميل
admin-total = الإجمالي
admin-payment = الدفع
admin-ship-to = الشحن إلى
admin-lines = المشتريات
admin-quantity = الكمية
admin-history = السجل
admin-next-step = الخطوة التالية
admin-note = ملاحظة للعميل (رقم التتبع مثلًا)
admin-mark-paid = تأكيد الدفع
admin-mark-shipped = تأكيد الشحن
admin-mark-delivered = تأكيد التسليم
admin-mark-cancelled = إلغاء الطلب
admin-mark-refunded = استرداد المبلغ
order-status-reserving = قيد الإنشاء
order-status-failed = لم يكتمل
order-status-pending-payment = بانتظار الدفع
order-status-paid = مدفوع
order-status-shipped = تم الشحن
order-status-delivered = تم التسليم
order-status-cancelled = ملغى
order-status-refunded = مسترد
payment-state-pending = غير مدفوع
payment-state-authorised = مُفوَّض
payment-state-captured = محصَّل
payment-state-refunded = مسترد
payment-state-voided = ملغى
admin-apply-step = تطبيق
payment-cash-on-delivery = الدفع عند الاستلام
orders-count = { $count ->
    [zero] لا طلبات
    [one] طلب واحد
    [two] طلبان
    [few] { $count } طلبات
    [many] { $count } طلبًا
   *[other] { $count } طلب
}

# Shoppers: account, checkout, orders.
nav-account = حسابي
cart-update = تحديث
cart-checkout = إتمام الشراء
cart-sign-in-note = تُحفظ سلتك في هذا المتصفح. سجّل الدخول لإتمام الشراء: تنضم السلة إلى حسابك.
cart-sign-in-to-check-out = سجّل الدخول لإتمام الشراء
cart-line-gone = لم يعد معروضًا للبيع
cart-line-short = بقي { $available } فقط في المخزون
cart-line-currency = مسعّر بعملة غير عملة باقي السلة
account-sign-in = تسجيل الدخول
account-register = إنشاء حساب
account-new-here = جديد هنا؟
account-have-one = لديك حساب؟
account-email = البريد الإلكتروني
account-password = كلمة المرور
account-password-hint = عشرة أحرف على الأقل.
account-orders = طلباتي
account-no-orders = لا طلبات لديك بعد.
account-sign-out = تسجيل الخروج
account-signed-in-as = مسجّل الدخول باسم { $email }
checkout-title = إتمام الشراء
checkout-address = عنوان التوصيل
checkout-name = الاسم الكامل
checkout-phone = الهاتف
checkout-street = الشارع والرقم
checkout-street-2 = الشقة أو الطابق (اختياري)
checkout-city = المدينة
checkout-region = المنطقة (اختياري)
checkout-postal-code = الرمز البريدي (اختياري)
checkout-country = الدولة
checkout-payment = الدفع
checkout-card-hint = للدفع بالبطاقة املأ هذه الحقول (وضع الاختبار: 4242 4242 4242 4242، أي تاريخ قادم، أي ثلاثة أرقام).
checkout-card-number = رقم البطاقة
checkout-card-expiry = تاريخ الانتهاء (MM/YY)
checkout-card-cvc = رمز الأمان
checkout-place-order = تأكيد الطلب
checkout-summary = طلبك
checkout-cart-not-ready = بعض بنود سلتك لا يمكن شراؤها كما هي؛ عدّلها في السلة أولًا.
payment-test-card = بطاقة (وضع الاختبار)
order-placed = شكرًا لك! تم تقديم طلبك. رسالة التأكيد في طريقها إلى بريدك.
order-placed-unpaid = تم تقديم طلبك لكن الدفع لم يتم. بنوده محجوزة لك حتى الموعد أدناه: ادفع الآن للاحتفاظ بها.
order-pay-by = ادفع قبل
order-pay-now = ادفع الآن
order-cancel = إلغاء هذا الطلب
country-sa = السعودية
country-ae = الإمارات العربية المتحدة
country-kw = الكويت
country-qa = قطر
country-bh = البحرين
country-om = عُمان
country-eg = مصر
country-jo = الأردن
country-ma = المغرب
country-gb = المملكة المتحدة
admin-placed-from = تاريخ الطلب من
admin-placed-to = إلى
