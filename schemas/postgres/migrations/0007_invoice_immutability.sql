-- Invoices are immutable once finalized (invoicer/README.md): only status and settlement columns may change,
-- and the lines of a non-draft invoice can be neither added, changed nor removed. Enforced here so that no code
-- path (a bug, a hand-written UPDATE) can change an issued document.
CREATE OR REPLACE FUNCTION invoices_immutable_after_draft() RETURNS trigger AS $$
BEGIN
  IF OLD.status <> 'draft' AND (
    NEW.tenant_id, NEW.customer_id, NEW.customer_name, NEW.period, NEW.period_start, NEW.period_end, NEW.currency, NEW.number,
    NEW.sequence, NEW.subtotal_micros, NEW.discount_micros, NEW.tax_micros, NEW.rounding_micros, NEW.total_micros,
    NEW.prepaid_micros, NEW.credit_applied_micros, NEW.bill_to, NEW.finalized_at, NEW.due_at
  ) IS DISTINCT FROM (
    OLD.tenant_id, OLD.customer_id, OLD.customer_name, OLD.period, OLD.period_start, OLD.period_end, OLD.currency, OLD.number,
    OLD.sequence, OLD.subtotal_micros, OLD.discount_micros, OLD.tax_micros, OLD.rounding_micros, OLD.total_micros,
    OLD.prepaid_micros, OLD.credit_applied_micros, OLD.bill_to, OLD.finalized_at, OLD.due_at
  ) THEN
    RAISE EXCEPTION 'invoice % is %: its amounts and identity are immutable', OLD.id, OLD.status USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.status <> 'draft' AND NEW.status = 'draft' THEN
    RAISE EXCEPTION 'invoice % cannot go back to draft', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER invoices_immutable_after_draft BEFORE UPDATE ON invoices
  FOR EACH ROW EXECUTE FUNCTION invoices_immutable_after_draft();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION invoice_lines_immutable_after_draft() RETURNS trigger AS $$
DECLARE
  invoice_status text;
BEGIN
  SELECT status INTO invoice_status FROM invoices WHERE id = COALESCE(NEW.invoice_id, OLD.invoice_id);
  IF invoice_status IS DISTINCT FROM 'draft' THEN
    RAISE EXCEPTION 'lines of invoice % (%) are immutable', COALESCE(NEW.invoice_id, OLD.invoice_id), invoice_status USING ERRCODE = 'check_violation';
  END IF;
  RETURN COALESCE(NEW, OLD);
END $$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER invoice_lines_immutable_after_draft BEFORE INSERT OR UPDATE OR DELETE ON invoice_lines
  FOR EACH ROW EXECUTE FUNCTION invoice_lines_immutable_after_draft();
