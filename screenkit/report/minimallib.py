"""RDKit MinimalLib (WebAssembly) for the report page: the vendored files, checked and made CSP-safe.

See ``vendor/README.md`` for where the files come from. The page loads the WebAssembly from a
base64 block (gzip inside) through MinimalLib's ``instantiateWasm`` hook, so nothing is fetched.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from importlib.resources import files

from ..errors import ScreenkitError

__all__ = ["MINIMALLIB_VERSION", "minimallib_script", "minimallib_wasm_base64"]

MINIMALLIB_VERSION = "2026.9.1"
_JS_SHA256 = "ea427db9cc39be245065603de0df10c3053cb49af3b63fdf6bc2bf73d6fc17da"
_WASM_GZ_SHA256 = "50ae0f77f4060214f41f2a374954ca7fd9f010fbb00c0e9a75ea109c654f6df3"

# embind builds its call wrappers with `new Function(...)`; these closures do the same without eval,
# so the page's CSP needs no 'unsafe-eval'. (Emscripten's own DYNAMIC_EXECUTION=0 code does likewise.)
_INVOKER_START = "function createJsInvoker(argTypes,isClassMethodFunc,returns,isAsync){"
_INVOKER_END = "function craftInvokerFunction("
_INVOKER = (
    "function createJsInvoker(argTypes,isClassMethodFunc,returns,isAsync){"
    "var needsDestructorStack=usesDestructorStack(argTypes);var argsNeedStack=argsUseStackAlloc(argTypes);"
    "var useStackFrame=argsNeedStack&&!isAsync&&!needsDestructorStack;if(argsNeedStack&&!useStackFrame){needsDestructorStack=true}"
    "var argCount=argTypes.length-2;var dtorAt=[];if(!needsDestructorStack){for(var i=isClassMethodFunc?1:2;i<argTypes.length;++i)"
    "{if(argTypes[i].destructorFunction!==null){dtorAt.push(i)}}}"
    "return function(humanName,throwBindingError,invoker,fn,runDestructors,fromRetWire,toClassParamWire){"
    "var rest=Array.prototype.slice.call(arguments,7);var save=null,restore=null;if(useStackFrame){save=rest.shift();restore=rest.shift()}"
    "var toArgWire=rest.slice(0,argCount),dtors=rest.slice(argCount);"
    "return function(){var destructors=needsDestructorStack?[]:null;var wired=[fn],thisWired,argsWired=new Array(argCount),rv,sp;"
    "if(useStackFrame){sp=save()}try{if(isClassMethodFunc){thisWired=toClassParamWire(destructors,this);wired.push(thisWired)}"
    "for(var k=0;k<argCount;++k){argsWired[k]=toArgWire[k](destructors,arguments[k]);wired.push(argsWired[k])}"
    "rv=invoker.apply(null,wired)}finally{if(useStackFrame){restore(sp)}}"
    "if(needsDestructorStack){runDestructors(destructors)}else{for(var d=0;d<dtorAt.length;++d){var at=dtorAt[d];"
    "dtors[d](at===1?thisWired:argsWired[at-2])}}if(returns){return fromRetWire(rv)}}}}"
)
_EMVAL_OLD = "var invokerFunction=new Function(Object.keys(captures),functionBody)(...Object.values(captures));"
_EMVAL_NEW = (
    "var invokerFunction=function(handle,methodName,destructorsRef,args){"
    "var a=argFromPtr.map(function(read,i){return read(args+i*GenericWireTypeSize)});var r;"
    "switch(kind){case 0:r=Emval.toValue(handle)(...a);break;case 2:r=new(Emval.toValue(handle))(...a);break;"
    "case 3:r=a[a.length-1];break;case 1:r=Emval.toValue(handle)[getStringOrSymbol(methodName)](...a);break}"
    "if(!retType.isVoid){return emval_returnValue(toReturnWire,destructorsRef,r)}};"
)


def _vendored(name: str, digest: str) -> bytes:
    data = files(__package__).joinpath("vendor", name).read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise ScreenkitError(f"vendored {name} does not match its sha256 in screenkit/report/minimallib.py; "
                             "reinstall screenkit or restore the file (see screenkit/report/vendor/README.md)")
    return data


@lru_cache(maxsize=1)
def minimallib_script() -> str:
    """MinimalLib's JavaScript with embind's two ``new Function`` uses replaced by closures."""
    js = _vendored("RDKit_minimal.js", _JS_SHA256).decode("utf-8")
    if js.count(_INVOKER_START) != 1 or js.count(_EMVAL_OLD) != 1:
        raise ScreenkitError("RDKit_minimal.js does not have the code the CSP patch replaces; see vendor/README.md")
    start = js.index(_INVOKER_START)
    end = js.index(_INVOKER_END, start)
    js = js[:start] + _INVOKER + js[end:]
    js = js.replace(_EMVAL_OLD, _EMVAL_NEW)
    if "new Function" in js or "eval(" in js or "</script" in js.lower():
        raise ScreenkitError("RDKit_minimal.js still builds code from strings or closes a script element")
    return js


@lru_cache(maxsize=1)
def minimallib_wasm_base64() -> str:
    """The gzipped WebAssembly as base64 text (the page unpacks it with ``DecompressionStream``)."""
    return base64.b64encode(_vendored("RDKit_minimal.wasm.gz", _WASM_GZ_SHA256)).decode("ascii")
