package cn.eseal;

import com.sun.jna.IntegerType;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** The functions of include/eseal.h the Java API calls, as JNA maps them. */
interface EsealLibrary extends Library {
    /** {@code ESEAL_NOW}: the time of the call. */
    long NOW = Long.MIN_VALUE;
    /** {@code ESEAL_OK}. */
    int OK = 0;

    /** The library, found on {@code jna.library.path} or by the system loader. */
    EsealLibrary LIB = Native.load("eseal", EsealLibrary.class);

    /** C's {@code size_t}. */
    final class SizeT extends IntegerType {
        private static final long serialVersionUID = 1L;

        public SizeT() {
            this(0);
        }

        public SizeT(long value) {
            super(Native.SIZE_T_SIZE, value, true);
        }
    }

    Pointer eseal_version();

    Pointer eseal_last_error_message();

    Pointer eseal_status_name(int status);

    int eseal_trust_store_new(PointerByReference out);

    int eseal_trust_store_add_anchors(Pointer store, byte[] data, SizeT len);

    int eseal_trust_store_add_intermediates(Pointer store, byte[] data, SizeT len);

    int eseal_trust_store_add_crl(Pointer store, byte[] data, SizeT len);

    int eseal_trust_store_add_trust_list(Pointer store, byte[] data, SizeT len, long at);

    int eseal_trust_store_add_status_list(Pointer store, byte[] data, SizeT len);

    void eseal_trust_store_free(Pointer store);

    int eseal_verify(Pointer store, byte[] data, SizeT len, long at, PointerByReference out);

    int eseal_report_indication(Pointer report);

    SizeT eseal_report_signature_count(Pointer report);

    int eseal_report_signature_indication(Pointer report, SizeT i);

    Pointer eseal_report_sub_indication(Pointer report, SizeT i);

    Pointer eseal_report_signer(Pointer report, SizeT i);

    Pointer eseal_report_seal_name(Pointer report, SizeT i);

    Pointer eseal_report_signing_time(Pointer report, SizeT i);

    Pointer eseal_report_json(Pointer report);

    void eseal_report_free(Pointer report);

    /** A NUL-terminated UTF-8 string eseal returned, or null. */
    static String text(Pointer p) {
        return p == null ? null : p.getString(0, "UTF-8");
    }
}
