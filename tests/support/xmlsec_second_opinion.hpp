// libxmlsec1 as a second opinion on a signature (issue 13), used the careful way of
// xmlsec's examples/verify4.c: keys only from the trust store, one Reference to the
// document, only the transforms our profile allows, X.509 key data only. Shared by the
// differential test and the verifier's fuzz target.
#pragma once

#include <libxml/parser.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace xmlsec_second_opinion {

inline void require(bool holds) {
    if (!holds)
        throw std::runtime_error("libxmlsec1 could not be set up");
}

// The library, set up once for the test program.
struct XmlsecLibrary {
    XmlsecLibrary() {
        require(xmlSecInit() == 0);
        require(xmlSecCheckVersion() == 1);
        require(xmlSecCryptoAppInit(nullptr) == 0);
        require(xmlSecCryptoInit() == 0);
        xmlSecErrorsDefaultCallbackEnableOutput(0);  // refusals are expected; `why` says them
    }
    ~XmlsecLibrary() {
        xmlSecCryptoShutdown();
        xmlSecCryptoAppShutdown();
        xmlSecShutdown();
    }
};

struct DocFree {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct ManagerFree {
    void operator()(xmlSecKeysMngr* manager) const { xmlSecKeysMngrDestroy(manager); }
};
struct ContextFree {
    void operator()(xmlSecDSigCtx* context) const { xmlSecDSigCtxDestroy(context); }
};

// Whether libxmlsec1 verifies `package` with only `anchors` (PEM files) trusted; `why`
// says what failed.
inline bool xmlsec_verifies(const std::string& package, const std::vector<std::string>& anchors,
                     std::string& why) {
    static XmlsecLibrary library;
    std::unique_ptr<xmlDoc, DocFree> doc(xmlReadMemory(package.data(),
                                                       static_cast<int>(package.size()), nullptr,
                                                       nullptr, XML_PARSE_NONET | XML_PARSE_HUGE));
    if (!doc) {
        why = "libxml2 does not parse it";
        return false;
    }
    xmlNode* root = xmlDocGetRootElement(doc.get());
    // A Reference "#id" to the root needs the attribute registered as an ID, as
    // `xmlsec1 --id-attr` does.
    for (const char* name : {"Id", "ID", "id"}) {
        if (xmlAttr* id = xmlHasProp(root, BAD_CAST name)) {
            xmlChar* value = xmlNodeListGetString(doc.get(), id->children, 1);
            if (value && !xmlGetID(doc.get(), value))
                xmlAddID(nullptr, doc.get(), value, id);
            xmlFree(value);
        }
    }
    xmlNode* signature = xmlSecFindNode(root, xmlSecNodeSignature, xmlSecDSigNs);
    if (!signature) {
        why = "no Signature node";
        return false;
    }
    std::unique_ptr<xmlSecKeysMngr, ManagerFree> manager(xmlSecKeysMngrCreate());
    if (!manager || xmlSecCryptoAppDefaultKeysMngrInit(manager.get()) != 0) {
        why = "cannot set up a keys manager";
        return false;
    }
    for (const std::string& anchor : anchors) {
        if (xmlSecCryptoAppKeysMngrCertLoad(manager.get(), anchor.c_str(), xmlSecKeyDataFormatPem,
                                            xmlSecKeyDataTypeTrusted) != 0) {
            why = "cannot load " + anchor;
            return false;
        }
    }
    std::unique_ptr<xmlSecDSigCtx, ContextFree> context(xmlSecDSigCtxCreate(manager.get()));
    if (!context) {
        why = "cannot create a signature context";
        return false;
    }
    // verify4.c's restrictions: the whole document or a same-document reference only,
    // our transforms only, certificates only.
    context->enabledReferenceUris = static_cast<xmlSecTransformUriType>(
        xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument);
    for (xmlSecTransformId id :
         {xmlSecTransformInclC14NId, xmlSecTransformInclC14N11Id, xmlSecTransformExclC14NId,
          xmlSecTransformRsaSha1Id, xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id,
          xmlSecTransformRsaSha512Id}) {
        require(xmlSecDSigCtxEnableSignatureTransform(context.get(), id) == 0);
    }
    for (xmlSecTransformId id :
         {xmlSecTransformEnvelopedId, xmlSecTransformInclC14NId, xmlSecTransformInclC14N11Id,
          xmlSecTransformExclC14NId, xmlSecTransformSha1Id, xmlSecTransformSha256Id,
          xmlSecTransformSha384Id, xmlSecTransformSha512Id}) {
        require(xmlSecDSigCtxEnableReferenceTransform(context.get(), id) == 0);
    }
    require(xmlSecPtrListAdd(&context->keyInfoReadCtx.enabledKeyData,
                                   BAD_CAST xmlSecKeyDataX509Id) == 0);
    if (xmlSecDSigCtxVerify(context.get(), signature) != 0) {
        why = "xmlSecDSigCtxVerify failed";
        return false;
    }
    if (context->status != xmlSecDSigStatusSucceeded) {
        why = "the signature does not verify";
        return false;
    }
    if (xmlSecPtrListGetSize(&context->signedInfoReferences) != 1) {
        why = "not exactly one Reference";
        return false;
    }
    return true;
}

}  // namespace xmlsec_second_opinion
