package cn.eseal;

/** A verdict (ETSI EN 319 102-1 clause 5.1.3), as {@code eseal_indication} numbers it. */
public enum Indication {
    /** Every check passed. */
    TOTAL_PASSED("TOTAL-PASSED"),
    /** The checks could not decide. */
    INDETERMINATE("INDETERMINATE"),
    /** A check failed. */
    TOTAL_FAILED("TOTAL-FAILED"),
    /** No signature found in the input. */
    NOTHING_SIGNED("NOTHING-SIGNED");

    private final String text;

    Indication(String text) {
        this.text = text;
    }

    /** The name the JSON report and {@code eseal verify} print, e.g. {@code "TOTAL-PASSED"}. */
    @Override
    public String toString() {
        return text;
    }

    /** The indication of the C value {@code value}; an unknown value fails closed. */
    static Indication of(int value) {
        Indication[] all = values();
        return value >= 0 && value < all.length ? all[value] : TOTAL_FAILED;
    }
}
