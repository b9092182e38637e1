package cn.eseal;

/**
 * A call into eseal that did not return {@code ESEAL_OK}: the {@code eseal_status} code, its
 * name (e.g. {@code ESEAL_MALFORMED_INPUT}) and the library's message. A verdict, even
 * TOTAL-FAILED, is not an exception: it is a {@link Report}.
 */
public class EsealException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String statusName;

    /** An exception for {@code status}, named {@code statusName}, with eseal's message. */
    public EsealException(int status, String statusName, String message) {
        super(statusName + ": " + message);
        this.status = status;
        this.statusName = statusName;
    }

    /** The {@code eseal_status} code, e.g. 4 for {@code ESEAL_MALFORMED_INPUT}. */
    public int status() {
        return status;
    }

    /** The name of the status code, e.g. {@code "ESEAL_MALFORMED_INPUT"}. */
    public String statusName() {
        return statusName;
    }

    /** Throws for a status other than {@code ESEAL_OK}, with the calling thread's last error. */
    static void check(int status, String what) throws EsealException {
        if (status == EsealLibrary.OK) {
            return;
        }
        String message = EsealLibrary.text(EsealLibrary.LIB.eseal_last_error_message());
        String name = EsealLibrary.text(EsealLibrary.LIB.eseal_status_name(status));
        throw new EsealException(
                status,
                name != null ? name : "ESEAL_STATUS_" + status,
                what + (message != null ? ": " + message : ""));
    }
}
