/** The HW_ERR_* code a promise rejects with, 'ok' when it resolves, or a marker for an untyped error. */
export async function rejectionCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? `untyped: ${String(err)}`;
  }
}
