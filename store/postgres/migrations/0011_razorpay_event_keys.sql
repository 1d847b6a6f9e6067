-- Razorpay events were stored once per X-Razorpay-Event-Id, a header the signature does not
-- cover; they are now stored once per organization, type and what the event is about (the
-- link for payment_link.*, the payment for payment.*), all signed (store/payment-links.ts,
-- razorpayEventKey). Events stored before are re-keyed so: a redelivery of one is still a
-- duplicate. Of rows that now share a key (one event replayed
-- under another header), the first received takes it; the others keep theirs.
UPDATE payment_events p SET id = k.key
FROM (
  SELECT id, key, row_number() OVER (PARTITION BY key ORDER BY received_at, id) AS n
  FROM (
    SELECT id, received_at, 'razorpay:' || org_id || ':' || type || ':' || subject AS key
    FROM (
      SELECT id, received_at, org_id, type,
        CASE WHEN type LIKE 'payment\_link.%' THEN gateway_link_id ELSE payment_id END AS subject
      FROM payment_events
      WHERE gateway = 'razorpay' AND id NOT LIKE 'razorpay:%:%'
    ) s
    WHERE subject IS NOT NULL
  ) r
) k
WHERE p.id = k.id AND k.n = 1
  AND NOT EXISTS (SELECT 1 FROM payment_events q WHERE q.id = k.key);
